;; invalid: func not valid to be used as export: its type refers to a record
(component
  (type $point (record (field "x" u32) (field "y" u32)))
  (core module $m (func (export "f") (param i32 i32)))
  (core instance $i (instantiate $m))
  (func $f (param "p" $point) (canon lift (core func $i "f")))
  (export "f" (func $f)))
