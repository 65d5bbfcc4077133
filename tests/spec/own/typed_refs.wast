;; Typed function references: Ember's own corners (the suite's call_ref,
;; br_on_null, br_on_non_null, local_init and type-* files cover the rest).

;; Branches on null that need moves, that go to a loop, that return.
(module
  (type $ii (func (param i32) (result i32)))
  (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (func $dbl (type $ii) (i32.mul (local.get 0) (i32.const 2)))
  (elem declare func $inc $dbl)
  (table $t 2 (ref null $ii))
  (elem (table $t) (i32.const 0) (ref null $ii) (ref.func $inc) (ref.func $dbl))

  ;; br_on_null with a value under the reference: the branch carries it.
  (func (export "apply-or") (param $i i32) (param $x i32) (result i32)
    (block $null (result i32)
      (local.get $x)
      (br_on_null $null (table.get $t (local.get $i)))
      (call_ref $ii)
    )
  )
  ;; br_on_non_null from a local (read in place, kept for the label).
  (func (export "non-null-local") (param $i i32) (result i32)
    (local $f (ref null $ii))
    (local.set $f (table.get $t (local.get $i)))
    (call_ref $ii (i32.const 20)
      (block $some (result (ref $ii))
        (br_on_non_null $some (local.get $f))
        (return (i32.const -1))))
  )
  ;; A loop that applies $dbl until a null ends it: br_on_non_null back edge.
  (func (export "loop") (param $n i32) (result i32)
    (local $acc i32)
    (local.set $acc (i32.const 1))
    (block $done
      (loop $again
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (local.set $acc (call_ref $ii (local.get $acc) (ref.as_non_null (table.get $t (i32.const 1)))))
        (br $again)
      )
    )
    (local.get $acc)
  )
  ;; br_on_null straight to the function's end (a return).
  (func (export "ret-on-null") (param $i i32) (result i32)
    (i32.const 7)
    (br_on_null 0 (table.get $t (local.get $i)))
    (drop)
    (drop)
    (i32.const 8)
  )
  ;; return_call_ref in a loop of tail calls.
  (func $count (export "count") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 42))
      (else (return_call_ref $ii (i32.sub (local.get $n) (i32.const 1)) (ref.func $count)))
    )
  )
  (elem declare func $count)
  (func (export "set-null") (param $i i32) (table.set $t (local.get $i) (ref.null $ii)))
)

(assert_return (invoke "apply-or" (i32.const 0) (i32.const 5)) (i32.const 6))
(assert_return (invoke "apply-or" (i32.const 1) (i32.const 5)) (i32.const 10))
(assert_return (invoke "non-null-local" (i32.const 0)) (i32.const 21))
(assert_return (invoke "non-null-local" (i32.const 1)) (i32.const 40))
(assert_return (invoke "loop" (i32.const 10)) (i32.const 1024))
(assert_return (invoke "ret-on-null" (i32.const 0)) (i32.const 8))
(assert_return (invoke "count" (i32.const 100000)) (i32.const 42))
(invoke "set-null" (i32.const 0))
(assert_return (invoke "apply-or" (i32.const 0) (i32.const 5)) (i32.const 5))
(assert_return (invoke "non-null-local" (i32.const 0)) (i32.const -1))
(assert_return (invoke "ret-on-null" (i32.const 0)) (i32.const 7))
(invoke "set-null" (i32.const 1))
(assert_trap (invoke "loop" (i32.const 1)) "null reference")
(assert_return (invoke "loop" (i32.const 0)) (i32.const 1))

;; Type equivalence across modules: a function of an iso-recursively equal
;; type is accepted by a typed import, one of another type is not.
(module $A
  (type $f (func (param i32) (result i32)))
  (func (export "id") (type $f) (local.get 0))
  (func (export "nop") (param i64))
  (global (export "g") (ref $f) (ref.func 0))
  (table (export "t") 1 (ref null $f))
)
(register "A" $A)
(module
  (type $g (func (param i32) (result i32)))
  (import "A" "id" (func $id (type $g)))
  (import "A" "g" (global $g (ref $g)))
  (import "A" "t" (table 1 (ref null $g)))
  (func (export "call-global") (param i32) (result i32)
    (call_ref $g (local.get 0) (global.get $g)))
)
(assert_return (invoke "call-global" (i32.const 9)) (i32.const 9))
(assert_unlinkable
  (module
    (type $g (func (param i32) (result i32)))
    (import "A" "nop" (func (type $g))))
  "incompatible import type")
;; An immutable global import is covariant: (ref $f) where funcref is wanted.
(module (import "A" "g" (global funcref)))
;; A table's element type is invariant: (ref null $f) is not funcref.
(assert_unlinkable
  (module (import "A" "t" (table 1 funcref)))
  "incompatible import type")

;; Non-defaultable locals: set in a block, not usable after it.
(assert_invalid
  (module
    (type $t (func))
    (func $f)
    (elem declare func $f)
    (func (local $r (ref $t))
      (block (local.set $r (ref.func $f)))
      (drop (local.get $r))))
  "uninitialized local")
(module
  (type $t (func))
  (func $f)
  (elem declare func $f)
  (func (export "ok") (local $r (ref $t))
    (local.set $r (ref.func $f))
    (block (drop (local.get $r)))
    (call_ref $t (local.get $r)))
)
(assert_return (invoke "ok"))

;; A table of non-null references needs an initializer; with one it starts
;; filled and table.grow needs a non-null value too.
(assert_invalid
  (module (type $t (func)) (table 1 (ref $t)))
  "type mismatch")
(module
  (type $t (func (result i32)))
  (func $one (type $t) (i32.const 1))
  (elem declare func $one)
  (table $tab 3 (ref $t) (ref.func $one))
  (func (export "sum") (result i32)
    (i32.add (call_ref $t (table.get $tab (i32.const 0)))
             (call_ref $t (table.get $tab (i32.const 2)))))
  (func (export "grow") (result i32) (table.grow $tab (ref.func $one) (i32.const 2)))
  (func (export "size") (result i32) (table.size $tab))
)
(assert_return (invoke "sum") (i32.const 2))
(assert_return (invoke "grow") (i32.const 3))
(assert_return (invoke "size") (i32.const 5))
(assert_invalid
  (module
    (type $t (func))
    (table $tab 1 (ref $t) (ref.func 0))
    (func (type $t))
    (elem declare func 0)
    (func (drop (table.grow $tab (ref.null $t) (i32.const 1)))))
  "type mismatch")

;; call_ref checks its operand's type statically: a funcref will not do.
(assert_invalid
  (module
    (type $t (func))
    (func (param funcref) (call_ref $t (local.get 0))))
  "type mismatch")

;; Struct and array type definitions (their objects come with GC): declared
;; subtypes extend a struct's fields, keep mutable ones the same and let
;; immutable ones narrow; kinds never mix; a function needs a function type.
(module
  (type $f (func))
  (type $s (sub (struct (field (ref null $f)) (field (mut i32)))))
  (type $s2 (sub $s (struct (field (ref $f)) (field (mut i32)) (field i8))))
  (type $a (sub (array (mut i16))))
  (type $a2 (sub $a (array (mut i16))))
  (func (export "f") (param (ref null $s2)) (result (ref null $s)) (local.get 0))
)
(assert_invalid
  (module
    (type $s (sub (struct (field (mut funcref)))))
    (type (sub $s (struct (field (mut (ref func)))))))
  "sub type")
(assert_invalid
  (module
    (type $s (sub (struct (field i32) (field i32))))
    (type (sub $s (struct (field i32)))))
  "sub type")
(assert_invalid
  (module (type $a (sub (array i8))) (type (sub $a (array i16))))
  "sub type")
(assert_invalid
  (module (type $s (sub (struct))) (type (sub $s (func))))
  "sub type")
(assert_invalid
  (module (type $s (struct)) (func (type $s)))
  "type mismatch")
(assert_invalid
  (module (type $s (struct)) (func (param (ref $s)) (result funcref) (local.get 0)))
  "type mismatch")

;; call_indirect accepts a function of a declared subtype of the call's type
;; (a check at run time, past the equal-ids fast path), and not the reverse.
(module
  (type $super (sub (func (result i32))))
  (type $sub (sub $super (func (result i32))))
  (type $other (func (result i32)))
  (func $a (type $sub) (i32.const 1))
  (func $b (type $super) (i32.const 2))
  (func $c (type $other) (i32.const 3))
  (table funcref (elem $a $b $c))
  (func (export "as-super") (param i32) (result i32)
    (call_indirect (type $super) (local.get 0)))
  (func (export "as-sub") (param i32) (result i32)
    (call_indirect (type $sub) (local.get 0)))
)
(assert_return (invoke "as-super" (i32.const 0)) (i32.const 1))
(assert_return (invoke "as-super" (i32.const 1)) (i32.const 2))
(assert_trap (invoke "as-super" (i32.const 2)) "indirect call type mismatch")
(assert_return (invoke "as-sub" (i32.const 0)) (i32.const 1))
(assert_trap (invoke "as-sub" (i32.const 1)) "indirect call type mismatch")
