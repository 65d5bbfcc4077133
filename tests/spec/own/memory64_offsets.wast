;; memory64 accesses with offsets of 32 bits and more: in bounds exactly up to
;; the memory's size, a trap beyond it, and never a wrap-around of address +
;; offset past 2^64 (which would land back inside the memory).
(module
  (memory $m i64 1)
  (memory $n i64 1)
  (func (export "load_at") (param i64) (result i32)
    (i32.load8_u offset=0xFFFF (local.get 0)))
  (func (export "load_4g") (param i64) (result i32)
    (i32.load offset=0x1_0000_0000 (local.get 0)))
  (func (export "load_max") (param i64) (result i32)
    (i32.load8_u offset=0xFFFF_FFFF_FFFF_FFFF (local.get 0)))
  (func (export "store_max") (param i64)
    (i64.store offset=0xFFFF_FFFF_FFFF_FFF8 (local.get 0) (i64.const -1)))
  (func (export "load_n_4g") (param i64) (result i64)
    (i64.load $n offset=0x1_0000_0000 (local.get 0)))
  (func (export "store_n_max") (param i64)
    (i32.store16 $n offset=0xFFFF_FFFF_FFFF_FFFF (local.get 0) (i32.const 7)))
  (func (export "load_n") (param i64) (result i32)
    (i32.load16_u $n (local.get 0)))
  (func (export "load_m") (param i64) (result i64)
    (i64.load $m (local.get 0)))
)
(assert_return (invoke "load_at" (i64.const 0)) (i32.const 0))
(assert_trap (invoke "load_at" (i64.const 1)) "out of bounds memory access")
(assert_trap (invoke "load_4g" (i64.const 0)) "out of bounds memory access")
;; 2^64 - 2^32 + 0x1_0000_0000 wraps to 0 in 64 bits: still out of bounds.
(assert_trap (invoke "load_4g" (i64.const 0xFFFF_FFFF_0000_0000)) "out of bounds memory access")
(assert_trap (invoke "load_max" (i64.const 0)) "out of bounds memory access")
(assert_trap (invoke "load_max" (i64.const 1)) "out of bounds memory access")
(assert_trap (invoke "store_max" (i64.const 8)) "out of bounds memory access")
(assert_trap (invoke "store_max" (i64.const 16)) "out of bounds memory access")
(assert_return (invoke "load_m" (i64.const 0)) (i64.const 0))
(assert_return (invoke "load_m" (i64.const 8)) (i64.const 0))
(assert_trap (invoke "load_n_4g" (i64.const 0)) "out of bounds memory access")
(assert_trap (invoke "load_n_4g" (i64.const 0xFFFF_FFFF_0000_0001)) "out of bounds memory access")
(assert_trap (invoke "store_n_max" (i64.const 1)) "out of bounds memory access")
(assert_trap (invoke "store_n_max" (i64.const 2)) "out of bounds memory access")
(assert_return (invoke "load_n" (i64.const 0)) (i32.const 0))
(assert_return (invoke "load_n" (i64.const 1)) (i32.const 0))

;; A 32-bit memory's offset must fit 32 bits: invalid, not malformed.
(assert_invalid
  (module (memory 1) (func (drop (i32.load offset=0x1_0000_0000 (i32.const 0)))))
  "offset out of range")
;; Alignments up to 2^63 are well-formed, and invalid above natural.
(assert_invalid
  (module (memory i64 1) (func (drop (i64.load align=0x8000_0000_0000_0000 (i64.const 0)))))
  "alignment must not be larger than natural")
