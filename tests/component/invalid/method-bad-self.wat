;; invalid: first parameter must be `self: borrow<resource>`
(component
  (import "thing" (type $t (sub resource)))
  (import "[method]thing.go" (func (param "x" u32))))
