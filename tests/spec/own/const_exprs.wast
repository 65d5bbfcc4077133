;; Wasm 3.0 constant expressions: a global's initializer reads the globals
;; defined before it, segments read any immutable global, and a table may
;; have an initializer expression that fills its initial elements (a grow
;; takes the value table.grow gives).
(module
  (global $a i32 (i32.const 5))
  (global $b i32 (i32.add (global.get $a) (i32.const 2)))
  (global $f funcref (ref.func $seven))
  (elem (table $n) (i32.const 0) funcref (global.get $f))
  (memory 1)
  (data (global.get $b) "\2a")
  (table $t 3 funcref (ref.func $seven))
  (table $u 2 funcref (ref.func $seven))
  (table $n 2 funcref)
  (func $seven (result i32) (i32.const 7))
  (func (export "b") (result i32) (global.get $b))
  (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "call_t") (param i32) (result i32) (call_indirect $t (result i32) (local.get 0)))
  (func (export "call_u") (param i32) (result i32) (call_indirect $u (result i32) (local.get 0)))
  (func (export "null_n") (param i32) (result i32) (ref.is_null (table.get $n (local.get 0))))
  (func (export "grow_t") (result i32) (table.grow $t (ref.null func) (i32.const 1)))
  (func (export "null_t") (param i32) (result i32) (ref.is_null (table.get $t (local.get 0))))
)
(assert_return (invoke "b") (i32.const 7))
(assert_return (invoke "byte" (i32.const 7)) (i32.const 42))
(assert_return (invoke "call_t" (i32.const 0)) (i32.const 7))
(assert_return (invoke "call_t" (i32.const 2)) (i32.const 7))
(assert_return (invoke "call_u" (i32.const 1)) (i32.const 7))
(assert_return (invoke "null_n" (i32.const 0)) (i32.const 0))
(assert_return (invoke "null_n" (i32.const 1)) (i32.const 1))
(assert_return (invoke "grow_t") (i32.const 3))
(assert_return (invoke "null_t" (i32.const 2)) (i32.const 0))
(assert_return (invoke "null_t" (i32.const 3)) (i32.const 1))

;; A global initializer cannot read itself or a later global, nor a mutable one.
(assert_invalid (module (global i32 (global.get 0))) "unknown global")
(assert_invalid (module (global i32 (global.get 1)) (global i32 (i32.const 0))) "unknown global")
(assert_invalid
  (module (global (mut i32) (i32.const 0)) (global i32 (global.get 0)))
  "constant expression required")
;; A table initializer sees only imported globals, and must have the element type.
(assert_invalid
  (module (global funcref (ref.null func)) (table 1 funcref (global.get 0)))
  "unknown global")
(assert_invalid (module (table 1 funcref (ref.null extern))) "type mismatch")
