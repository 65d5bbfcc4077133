;; invalid: type mismatch for import "env" "f"
(component
  (core module $a (func (export "f") (param i32)))
  (core instance $ia (instantiate $a))
  (core module $m (import "env" "f" (func)))
  (core instance (instantiate $m (with "env" (instance $ia)))))
