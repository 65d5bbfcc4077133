;; The legacy exception instructions (try, catch, catch_all, delegate,
;; rethrow) in the corners the suite's legacy/ files leave out: delegate to
;; a plain block, to the function's label and into a try_table; rethrow of
;; an outer catch from an inner catch block; a catch block's own throws. The
;; results agree with node's V8 (whose legacy support predates try_table,
;; so the try_table case was checked by hand).
(module
  (tag $e (param i32))
  (tag $f)
  (func $throw (param i32) (throw $e (local.get 0)))
  ;; delegate to a block skips the try between: the outer try catches.
  (func (export "skip_block") (result i32)
    (try $outer (result i32)
      (do
        (block $b (result i32)
          (try (result i32)
            (do
              (try (result i32)
                (do (call $throw (i32.const 5)) (i32.const 0))
                (delegate $b)))
            (catch $e (drop) (i32.const -1)))))
      (catch $e (i32.add (i32.const 100)))))
  ;; delegate to the function label: on to the caller.
  (func $to_caller (result i32)
    (try (result i32)
      (do (try (result i32) (do (call $throw (i32.const 6)) (i32.const 0)) (delegate 1)))
      (catch $e (drop) (i32.const -1))))
  (func (export "to_caller") (result i32)
    (try (result i32) (do (call $to_caller)) (catch $e (i32.add (i32.const 200)))))
  ;; rethrow of the outer catch from inside an inner catch block.
  (func (export "rethrow_outer") (result i32)
    (try $a (result i32)
      (do
        (try $o (result i32)
          (do (call $throw (i32.const 7)) (i32.const 0))
          (catch $e
            (drop)
            (try (result i32)
              (do (throw $f))
              (catch $f (rethrow $o))))))
      (catch $e (i32.add (i32.const 300)))))
  ;; What a catch block throws is not caught by its own try.
  (func (export "catch_throws") (result i32)
    (try (result i32)
      (do
        (try (result i32)
          (do (call $throw (i32.const 1)) (i32.const 0))
          (catch $e (call $throw (i32.add (i32.const 10))) (i32.const -1))
          (catch_all (i32.const -2))))
      (catch $e (i32.add (i32.const 400)))))
  ;; delegate into a try_table's clauses.
  (func (export "into_try_table") (result i32)
    (block $h (result i32)
      (try_table (result i32) (catch $e $h)
        (try (result i32) (do (call $throw (i32.const 8)) (i32.const 0)) (delegate 0))))
    (i32.add (i32.const 500)))
  ;; catch_all rethrown and caught by tag.
  (func (export "catch_all_rethrow") (result i32)
    (try (result i32)
      (do
        (try (result i32)
          (do (call $throw (i32.const 9)) (i32.const 0))
          (catch_all (rethrow 0))))
      (catch $e (i32.add (i32.const 600)))))
)

(assert_return (invoke "skip_block") (i32.const 105))
(assert_return (invoke "to_caller") (i32.const 206))
(assert_return (invoke "rethrow_outer") (i32.const 307))
(assert_return (invoke "catch_throws") (i32.const 411))
(assert_return (invoke "into_try_table") (i32.const 508))
(assert_return (invoke "catch_all_rethrow") (i32.const 609))

(assert_invalid (module (func (try (do) (catch_all (rethrow 1))))) "invalid rethrow label")
(assert_invalid (module (func (block (try (do) (delegate 2))))) "unknown label")
(assert_malformed (module quote "(module (func (try (do) (catch_all) (delegate 0))))") "unexpected token")
