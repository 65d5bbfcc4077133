;; invalid: duplicate import name "[static]r.f"
(component
  (import "r" (type $r (sub resource)))
  (import "[method]r.f" (func (param "self" (borrow $r))))
  (import "[static]r.f" (func)))
