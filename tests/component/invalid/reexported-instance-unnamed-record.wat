;; invalid: refers to a record, variant, enum or flags type that has no name here
(component
  (component $Child
    (core module $m (func (export "get") (result i32) unreachable))
    (core instance $ci (instantiate $m))
    (type $point (enum "x" "y"))
    (export $point' "point" (type $point))
    (func $get (result $point') (canon lift (core func $ci "get")))
    (instance $api (export "get" (func $get)))
    (export "api" (instance $api)))
  (instance $child (instantiate $Child))
  (export "api" (instance $child "api")))
