;; Resources: `counter` is defined here (its representation is the address
;; of a cell in linear memory; its destructor counts drops); `thing` is a
;; host resource type the linker supplies, with a host function that makes
;; one and a method that reads it. Owned handles move between the host and
;; the instance, borrowed ones are lent for a call.
(component
  (import "thing" (type $thing (sub resource)))
  (import "make-thing" (func $make-thing (param "n" u32) (result (own $thing))))
  (import "[method]thing.value" (func $thing-value (param "self" (borrow $thing)) (result u32)))
  ;; The destructor comes first (the resource type needs it before the
  ;; instance that uses the type exists): it counts drops in a global.
  (core module $d
    (global $dropped (export "dropped") (mut i32) (i32.const 0))
    (func (export "dtor") (param i32) (global.set $dropped (i32.add (global.get $dropped) (i32.const 1)))))
  (core instance $d (instantiate $d))
  (core module $m
    (import "d" "dropped" (global $dropped (mut i32)))
    (import "rt" "new" (func $new (param i32) (result i32)))
    (import "rt" "rep" (func $rep (param i32) (result i32)))
    (import "rt" "drop" (func $drop (param i32)))
    (import "host" "make-thing" (func $make-thing (param i32) (result i32)))
    (import "host" "thing-value" (func $thing-value (param i32) (result i32)))
    (import "host" "drop-thing" (func $drop-thing (param i32)))
    (memory (export "memory") 1)
    (global $next (mut i32) (i32.const 16))
    (func (export "new") (param $start i32) (result i32)
      (local $cell i32)
      (local.set $cell (global.get $next))
      (global.set $next (i32.add (global.get $next) (i32.const 4)))
      (i32.store (local.get $cell) (local.get $start))
      (call $new (local.get $cell)))
    ;; A method: `self` is a borrow of our own type, so it is the rep.
    (func (export "inc") (param $cell i32) (result i32)
      (i32.store (local.get $cell) (i32.add (i32.load (local.get $cell)) (i32.const 1)))
      (i32.load (local.get $cell)))
    ;; Consumes an owned handle: its value, then the handle goes (dtor runs).
    (func (export "finish") (param $h i32) (result i32)
      (local $v i32)
      (local.set $v (i32.load (call $rep (local.get $h))))
      (call $drop (local.get $h))
      (local.get $v))
    (func (export "dropped") (result i32) (global.get $dropped))
    ;; A borrowed host thing: read it, then drop the borrow handle.
    (func (export "peek") (param $h i32) (result i32)
      (local $v i32)
      (local.set $v (call $thing-value (local.get $h)))
      (call $drop-thing (local.get $h))
      (local.get $v))
    ;; A borrowed host thing kept past the call (an error).
    (func (export "keep") (param $h i32) (result i32) (local.get $h))
    ;; An owned host thing: dropped here (the host's destructor runs).
    (func (export "take") (param $h i32) (call $drop-thing (local.get $h)))
    ;; A host thing made by the host, handed back out.
    (func (export "fresh") (param $n i32) (result i32) (call $make-thing (local.get $n))))
  (type $counter (resource (rep i32) (dtor (core func $d "dtor"))))
  (core func $new (canon resource.new $counter))
  (core func $rep (canon resource.rep $counter))
  (core func $drop (canon resource.drop $counter))
  (core func $make-thing-c (canon lower (func $make-thing)))
  (core func $thing-value-c (canon lower (func $thing-value)))
  (core func $drop-thing (canon resource.drop $thing))
  (core instance $rt (export "new" (func $new)) (export "rep" (func $rep)) (export "drop" (func $drop)))
  (core instance $host
    (export "make-thing" (func $make-thing-c))
    (export "thing-value" (func $thing-value-c))
    (export "drop-thing" (func $drop-thing)))
  (core instance $i (instantiate $m (with "rt" (instance $rt)) (with "host" (instance $host))
    (with "d" (instance $d))))
  (export $c "counter" (type $counter))
  (export $t "thing" (type $thing))
  (func (export "[constructor]counter") (param "start" u32) (result (own $c))
    (canon lift (core func $i "new")))
  (func (export "[method]counter.inc") (param "self" (borrow $c)) (result u32)
    (canon lift (core func $i "inc")))
  (func (export "[static]counter.finish") (param "c" (own $c)) (result u32)
    (canon lift (core func $i "finish")))
  (func (export "dropped") (result u32) (canon lift (core func $i "dropped")))
  (func (export "peek") (param "t" (borrow $t)) (result u32) (canon lift (core func $i "peek")))
  (func (export "keep") (param "t" (borrow $t)) (result u32) (canon lift (core func $i "keep")))
  (func (export "take") (param "t" (own $t)) (canon lift (core func $i "take")))
  (func (export "fresh") (param "n" u32) (result (own $t)) (canon lift (core func $i "fresh"))))
