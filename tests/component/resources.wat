;; A resource defined by the component, with a destructor, its constructor
;; and a method exported, and the resource built-ins.
(component
  (core module $m
    (func (export "dtor") (param i32))
    (func (export "new") (param i32) (result i32) (local.get 0))
    (func (export "len") (param i32) (result i32) (i32.const 0)))
  (core instance $i (instantiate $m))
  (type $counter (resource (rep i32) (dtor (core func $i "dtor"))))
  (core func $new (canon resource.new $counter))
  (core func $drop (canon resource.drop $counter))
  (core func $rep (canon resource.rep $counter))
  (core module $user
    (import "r" "new" (func (param i32) (result i32)))
    (import "r" "drop" (func (param i32)))
    (import "r" "rep" (func (param i32) (result i32))))
  (core instance $r (export "new" (func $new)) (export "drop" (func $drop)) (export "rep" (func $rep)))
  (core instance (instantiate $user (with "r" (instance $r))))
  (export $c "counter" (type $counter))
  (func $ctor (param "start" u32) (result (own $c)) (canon lift (core func $i "new")))
  (func $len (param "self" (borrow $c)) (result u32) (canon lift (core func $i "len")))
  (export "[constructor]counter" (func $ctor))
  (export "[method]counter.len" (func $len))
)
