;; The component of bench/micro.py's component call micro-benchmarks: a
;; `string -> string` export (the string comes back as it went in, through
;; realloc) and a `list<u8> -> u32` export (the list's length).
(component
  (core module $m
    (memory (export "memory") 1)
    (global $bump (mut i32) (i32.const 1024))
    ;; A bump allocator that starts over below 32 KiB each time it would
    ;; pass it (a call's values are dead once it returns).
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (if (i32.gt_u (i32.add (global.get $bump) (local.get 3)) (i32.const 32768))
        (then (global.set $bump (i32.const 1024))))
      (local.set $p (i32.and (i32.add (global.get $bump) (i32.const 7)) (i32.const -8)))
      (global.set $bump (i32.add (local.get $p) (local.get 3)))
      (local.get $p))
    (func (export "echo") (param i32 i32) (result i32)
      (i32.store (i32.const 16) (local.get 0))
      (i32.store (i32.const 20) (local.get 1))
      (i32.const 16))
    (func (export "count") (param i32 i32) (result i32) (local.get 1)))
  (core instance $i (instantiate $m))
  (func (export "echo") (param "s" string) (result string)
    (canon lift (core func $i "echo") (memory (core memory $i "memory"))
      (realloc (core func $i "realloc"))))
  (func (export "count") (param "b" (list u8)) (result u32)
    (canon lift (core func $i "count") (memory (core memory $i "memory"))
      (realloc (core func $i "realloc")))))
