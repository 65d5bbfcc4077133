;; invalid: `post-return` is only allowed on lift
(component
  (import "f" (func $f))
  (core module $m (func (export "p")))
  (core instance $i (instantiate $m))
  (alias core export $i "p" (core func $p))
  (core func (canon lower (func $f) (post-return $p))))
