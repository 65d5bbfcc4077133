;; invalid: may not contain a borrow handle
(component
  (import "r" (type $r (sub resource)))
  (import "f" (func (result (borrow $r)))))
