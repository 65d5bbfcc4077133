;; Exception handling corners the spec suite leaves out: where a catch lands
;; (loop header, function return, a label several blocks out), which
;; try_table catches (innermost first, a tail call leaves its try_table),
;; payloads of two slots, throws across call_indirect and instances.

(module $lib
  (tag $e (export "e") (param i32))
  (func (export "throw") (param i32) (throw $e (local.get 0))))
(register "lib" $lib)

(module
  (import "lib" "e" (tag $e (param i32)))
  (import "lib" "throw" (func $lib_throw (param i32)))
  (tag $v (param v128 i64))
  (tag $none)
  (type $t (func (param i32)))
  (table funcref (elem $lib_throw $local_throw))
  (func $local_throw (type $t) (throw $e (local.get 0)))

  ;; A catch to a loop label re-enters the loop with the payload as its param.
  (func (export "loop_retry") (result i32) (local $tries i32) (local $sum i32)
    (i32.const 0)
    (loop $again (param i32) (result i32)
      (local.set $sum (i32.add (local.get $sum)))  ;; the payload (0 on entry)
      (local.set $tries (i32.add (local.get $tries) (i32.const 1)))
      (if (i32.lt_u (local.get $tries) (i32.const 4))
        (then (try_table (catch $e $again) (throw $e (local.get $tries)))))
      (i32.add (local.get $sum) (i32.const 100))))

  ;; A catch to the function's own label returns the payload.
  (func (export "catch_returns") (param i32) (result i32)
    (try_table (catch $e 0) (call $lib_throw (local.get 0)))
    (i32.const -1))

  ;; The innermost try_table that matches wins; outer ones see nothing.
  (func (export "innermost") (result i32)
    (block $outer (result i32)
      (block $inner (result i32)
        (block $nothing
          (try_table (catch $e $outer)
            (try_table (catch $none $nothing) (catch $e $inner)
              (call_indirect (type $t) (i32.const 7) (i32.const 1)))))
        (return (i32.const -1)))
      (i32.add (i32.const 1000))))

  ;; Two-slot payload values come through whole.
  (func (export "v128_payload") (result i64 i64) (local $x i64)
    (block $h (result v128 i64)
      (try_table (catch $v $h)
        (throw $v (v128.const i64x2 0x1111 0x2222) (i64.const 0x3333)))
      (unreachable))
    (local.set $x)
    (i64x2.extract_lane 1)
    (local.get $x))
  (func (export "v128_lane0") (result i64)
    (block $h (result v128 i64)
      (try_table (catch $v $h)
        (throw $v (v128.const i64x2 0x1111 0x2222) (i64.const 0x3333)))
      (unreachable))
    (drop)
    (i64x2.extract_lane 0))

  ;; A tail call leaves the try_table of the frame it replaces: the
  ;; exception goes to this function's caller.
  (func $tail (param i32)
    (try_table (catch_all 0) (return_call $lib_throw (local.get 0))))
  (func (export "tail_leaves") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $e $h) (call $tail (local.get 0)))
      (i32.const -1)))

  ;; Rethrown with throw_ref through three frames, caught by catch_all_ref,
  ;; rethrown again and caught by tag.
  (func $rethrow (param exnref) (throw_ref (local.get 0)))
  (func $mid (param exnref) (call $rethrow (local.get 0)))
  (func (export "rethrow_chain") (param i32) (result i32)
    (block $by_tag (result i32)
      (try_table (catch $e $by_tag)
        (block $all (result exnref)
          (try_table (catch_all_ref $all) (call $lib_throw (local.get 0)))
          (unreachable))
        (call $mid))
      (i32.const -1)))

  ;; Locals keep the values they had when the exception was thrown.
  (func (export "locals_survive") (result i32) (local $x i32)
    (block $h
      (try_table (catch_all $h)
        (local.set $x (i32.const 5))
        (call $lib_throw (i32.const 0))
        (local.set $x (i32.const 6))))
    (local.get $x))
)

(assert_return (invoke "loop_retry") (i32.const 106))
(assert_return (invoke "catch_returns" (i32.const 17)) (i32.const 17))
(assert_return (invoke "innermost") (i32.const 1007))
(assert_return (invoke "v128_payload") (i64.const 0x2222) (i64.const 0x3333))
(assert_return (invoke "v128_lane0") (i64.const 0x1111))
(assert_return (invoke "tail_leaves" (i32.const 9)) (i32.const 9))
(assert_return (invoke "rethrow_chain" (i32.const 21)) (i32.const 21))
(assert_return (invoke "locals_survive") (i32.const 5))

;; A trap is no exception: try_table does not catch it.
(module
  (func (export "trap") (result i32)
    (block $h
      (try_table (catch_all $h) (unreachable)))
    (i32.const 1)))
(assert_trap (invoke "trap") "unreachable")

;; throw_ref of null traps; an uncaught exception leaves the instance usable.
(module
  (tag $e)
  (func (export "null") (throw_ref (ref.null exn)))
  (func (export "uncaught") (throw $e))
  (func (export "fine") (result i32) (i32.const 3)))
(assert_trap (invoke "null") "null")
(assert_exception (invoke "uncaught"))
(assert_return (invoke "fine") (i32.const 3))

;; Catch clauses are validated against their labels outside the try_table.
(assert_invalid
  (module (tag $e (param i32))
    (func (result i32) (block $l (result i64) (try_table (catch $e $l)) (i64.const 0)) (drop) (i32.const 0)))
  "type mismatch")
(assert_invalid
  (module (func (try_table (catch_all 1))))
  "unknown label")
(assert_invalid
  (module (func (try_table (catch 0 0))))
  "unknown tag")
