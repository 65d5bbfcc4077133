;; invalid: a resource destructor must have type [i32] -> []
(component
  (core module $m (func (export "d")))
  (core instance $i (instantiate $m))
  (type (resource (rep i32) (dtor (core func $i "d")))))
