;; invalid: is not a value type
(component
  (type $f (func))
  (type (list $f)))
