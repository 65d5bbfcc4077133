;; invalid: export "g": type mismatch
(component
  (import "f" (func $f (param "x" u32)))
  (export "g" (func $f) (func (param "y" u32))))
