;; invalid: in core module 0: type mismatch
(component
  (core module $m (func (export "f") (result i32) (i64.const 0))))
