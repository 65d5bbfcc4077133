;; Guards against a runner that passes silently: the module passes and every
;; assertion below is wrong on purpose, so each must be counted as failed
;; (expected: 1 passed, 9 failed).
(module
  (func (export "one") (result i32) (i32.const 1))
  (func (export "f") (result f32) (f32.const 1.5))
  (func (export "trap") unreachable))
(assert_return (invoke "one") (i32.const 2))
(assert_return (invoke "f") (f32.const nan:canonical))
(assert_return (invoke "missing"))
(assert_trap (invoke "one") "unreachable")
(assert_trap (invoke "trap") "integer overflow")
(assert_exhaustion (invoke "one") "call stack exhausted")
(assert_invalid (module (func (result i32) (i32.const 0))) "type mismatch")
(assert_malformed (module binary "\00asm\01\00\00\00") "unexpected end")
(assert_unlinkable (module (import "spectest" "print_i32" (func (param i32)))) "unknown import")
