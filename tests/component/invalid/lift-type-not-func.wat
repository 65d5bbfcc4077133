;; invalid: is not a function type
(component
  (type $r (record (field "a" u32)))
  (core module $m (func (export "f")))
  (core instance $i (instantiate $m))
  (func (type $r) (canon lift (core func $i "f"))))
