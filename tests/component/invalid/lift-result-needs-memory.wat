;; invalid: `memory` is required
(component
  (core module $m (func (export "f") (result i32) (i32.const 0)))
  (core instance $i (instantiate $m))
  (func (result string) (canon lift (core func $i "f"))))
