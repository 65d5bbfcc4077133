;; invalid: `memory` is required
(component
  (import "log" (func $log (param "s" string)))
  (core func (canon lower (func $log))))
