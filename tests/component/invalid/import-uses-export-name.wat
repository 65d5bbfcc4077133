;; invalid: func not valid to be used as import
(component
  (type $r (resource (rep i32)))
  (export $r2 "r" (type $r))
  (import "f" (func (result (own $r2)))))
