;; Valid counterparts of invalid/{ascription-hides-export,
;; reexported-instance-unnamed-record, bundle-constructor, effective-size}.wat:
;; the ascription keeps the export a consumer needs, the child's instance
;; (which exports the enum) is exported before its "api" is, a constructor is
;; exported by the component (not a bundle), and a type repeats its parts
;; 10^5 times.
(component
  (import "host" (func $h))
  (component $Inner
    (import "in" (instance $i (export "run" (func))))
    (export "out" (instance $i) (instance (export "run" (func)))))
  (instance $inner (instantiate $Inner (with "in" (instance (export "run" (func $h))))))
  (component $User
    (import "dep" (instance (export "run" (func)))))
  (instance (instantiate $User (with "dep" (instance $inner "out"))))

  (component $Child
    (core module $m (func (export "get") (result i32) unreachable))
    (core instance $ci (instantiate $m))
    (type $point (enum "x" "y"))
    (export $point' "point" (type $point))
    (func $get (result $point') (canon lift (core func $ci "get")))
    (instance $api (export "get" (func $get)))
    (export "api" (instance $api)))
  (instance $child (instantiate $Child))
  (export "child" (instance $child))
  (export "api" (instance $child "api"))

  (type $counter (resource (rep i32)))
  (export $counter' "counter" (type $counter))
  (core module $m2 (func (export "new") (result i32) unreachable))
  (core instance $ci2 (instantiate $m2))
  (func $new (result (own $counter')) (canon lift (core func $ci2 "new")))
  (export "[constructor]counter" (func $new))

  (type $t0 (tuple u8 u8 u8 u8 u8 u8 u8 u8 u8 u8))
  (type $t1 (tuple $t0 $t0 $t0 $t0 $t0 $t0 $t0 $t0 $t0 $t0))
  (type $t2 (tuple $t1 $t1 $t1 $t1 $t1 $t1 $t1 $t1 $t1 $t1))
  (type $t3 (tuple $t2 $t2 $t2 $t2 $t2 $t2 $t2 $t2 $t2 $t2))
  (type $t4 (tuple $t3 $t3 $t3 $t3 $t3 $t3 $t3 $t3 $t3 $t3)))
