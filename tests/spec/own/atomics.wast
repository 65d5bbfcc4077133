;; Atomic accesses beyond what the threads proposal's files cover: a second
;; memory, memory64 addresses with offsets past 4 GiB, unshared memories,
;; narrow cmpxchg wrapping its expected value, and atomic.fence.

(module
  (memory $a 1 1 shared)
  (memory $b i64 1 2 shared)
  (memory $c 1)
  (func (export "add_b") (param i64 i32) (result i32)
    (i32.atomic.rmw.add $b (local.get 0) (local.get 1)))
  (func (export "load_b") (param i64) (result i32) (i32.atomic.load $b (local.get 0)))
  (func (export "load_b_far") (param i64) (result i32)
    (i32.atomic.load $b offset=0x100000000 (local.get 0)))
  (func (export "store_c") (param i32 i64) (i64.atomic.store32 $c (local.get 0) (local.get 1)))
  (func (export "load_c") (param i32) (result i64) (i64.atomic.load $c (local.get 0)))
  (func (export "cmpxchg8") (param i32 i32 i32) (result i32)
    (i32.atomic.rmw8.cmpxchg_u $a (local.get 0) (local.get 1) (local.get 2)))
  (func (export "load8") (param i32) (result i32) (i32.atomic.load8_u $a (local.get 0)))
  (func (export "xchg16") (param i32 i64) (result i64)
    (i64.atomic.rmw16.xchg_u $a offset=2 (local.get 0) (local.get 1)))
  (func (export "fence") (result i32) (atomic.fence) (i32.const 1))
  (func (export "grow_b") (result i64) (memory.grow $b (i64.const 1)))
  (func (export "wait_b") (param i64 i32) (result i32)
    (memory.atomic.wait32 $b (local.get 0) (local.get 1) (i64.const 0)))
  (func (export "wait_c") (result i32)
    (memory.atomic.wait32 $c (i32.const 0) (i32.const 0) (i64.const 0)))
  (func (export "notify_c") (result i32) (memory.atomic.notify $c (i32.const 0) (i32.const 1))))

(assert_return (invoke "add_b" (i64.const 65532) (i32.const 5)) (i32.const 0))
(assert_return (invoke "add_b" (i64.const 65532) (i32.const 5)) (i32.const 5))
(assert_return (invoke "load_b" (i64.const 65532)) (i32.const 10))
(assert_trap (invoke "load_b" (i64.const 65536)) "out of bounds memory access")
(assert_trap (invoke "load_b" (i64.const 65534)) "unaligned atomic")
(assert_trap (invoke "load_b" (i64.const -4)) "out of bounds memory access")
(assert_trap (invoke "load_b_far" (i64.const 0)) "out of bounds memory access")
(assert_return (invoke "grow_b") (i64.const 1))
(assert_return (invoke "load_b" (i64.const 65536)) (i32.const 0))
(assert_return (invoke "wait_b" (i64.const 65532) (i32.const 10)) (i32.const 2))
(assert_return (invoke "wait_b" (i64.const 65532) (i32.const 11)) (i32.const 1))

;; Atomics work on unshared memories too, but wait traps there.
(assert_return (invoke "store_c" (i32.const 8) (i64.const 0x1_2345_6789)))
(assert_return (invoke "load_c" (i32.const 8)) (i64.const 0x2345_6789))
(assert_trap (invoke "load_c" (i32.const 12)) "unaligned atomic")
(assert_return (invoke "notify_c") (i32.const 0))
(assert_trap (invoke "wait_c") "expected shared memory")

;; The expected value of a narrow cmpxchg is wrapped to the access width (and
;; xchg16 at offset 2 sees the byte it left at address 3).
(assert_return (invoke "cmpxchg8" (i32.const 3) (i32.const 0x100) (i32.const 0x1ff)) (i32.const 0))
(assert_return (invoke "load8" (i32.const 3)) (i32.const 0xff))
(assert_return (invoke "cmpxchg8" (i32.const 3) (i32.const 0xfe) (i32.const 1)) (i32.const 0xff))
(assert_return (invoke "load8" (i32.const 3)) (i32.const 0xff))
(assert_return (invoke "xchg16" (i32.const 0) (i64.const 0x1_beef)) (i64.const 0xff00))
(assert_return (invoke "xchg16" (i32.const 0) (i64.const 7)) (i64.const 0xbeef))
(assert_return (invoke "load8" (i32.const 3)) (i32.const 0))
(assert_trap (invoke "xchg16" (i32.const 1) (i64.const 7)) "unaligned atomic")
(assert_return (invoke "fence") (i32.const 1))

;; Atomic alignment must be exactly natural.
(assert_invalid
  (module (memory 1) (func (drop (i32.atomic.load align=2 (i32.const 0)))))
  "atomic alignment must be natural")
(assert_invalid
  (module (memory 1) (func (drop (i64.atomic.load align=16 (i32.const 0)))))
  "alignment must not be larger than natural")
(assert_invalid
  (module (func (atomic.fence) (drop (i32.atomic.load (i32.const 0)))))
  "unknown memory")
(assert_malformed
  (module binary "\00asm\01\00\00\00\01\04\01\60\00\00\03\02\01\00\0a\07\01\05\00\fe\03\01\0b")
  "zero byte expected")
