;; invalid: duplicate export name "A"
(component
  (import "f" (func $f))
  (export "a" (func $f))
  (export "A" (func $f)))
