;; invalid: has no export "nope"
(component
  (core module $m)
  (core instance $i (instantiate $m))
  (alias core export $i "nope" (core func)))
