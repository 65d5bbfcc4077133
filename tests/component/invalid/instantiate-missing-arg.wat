;; invalid: missing instantiation argument "f"
(component
  (component $c (import "f" (func)))
  (instance (instantiate $c)))
