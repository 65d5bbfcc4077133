;; invalid: `realloc` must have type
(component
  (import "f" (func $f (result string)))
  (core module $m (memory (export "mem") 1) (func (export "r") (param i32) (result i32) (i32.const 0)))
  (core instance $i (instantiate $m))
  (alias core export $i "mem" (core memory $mem))
  (alias core export $i "r" (core func $r))
  (core func (canon lower (func $f) (memory $mem) (realloc $r))))
