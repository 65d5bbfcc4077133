;; invalid: instantiation argument "f": type mismatch
(component
  (import "g" (func $g (param "x" u32)))
  (component $c (import "f" (func)))
  (instance (instantiate $c (with "f" (func $g)))))
