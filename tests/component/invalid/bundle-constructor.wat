;; invalid: resource used in function does not have a name in this context
(component
  (type $counter (resource (rep i32)))
  (core module $m (func (export "new") (result i32) unreachable))
  (core instance $ci (instantiate $m))
  (func $new (result (own $counter)) (canon lift (core func $ci "new")))
  (instance
    (export "counter" (type $counter))
    (export "[constructor]counter" (func $new))))
