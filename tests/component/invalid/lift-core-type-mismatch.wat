;; invalid: but the canonical ABI expects (i32, i64) -> (f32)
(component
  (core module $m (func (export "f") (param i32 i32) (result f32) (f32.const 0)))
  (core instance $i (instantiate $m))
  (func (param "a" u32) (param "b" u64) (result f32) (canon lift (core func $i "f"))))
