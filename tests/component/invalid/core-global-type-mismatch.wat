;; invalid: type mismatch for import "env" "g": global types differ
(component
  (core module $a (global (export "g") i64 (i64.const 0)))
  (core instance $ia (instantiate $a))
  (core module $m (import "env" "g" (global i32)))
  (core instance (instantiate $m (with "env" (instance $ia)))))
