;; invalid: missing instantiation argument "env"
(component
  (core module $m (import "env" "f" (func)))
  (core instance (instantiate $m)))
