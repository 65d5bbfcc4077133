;; invalid: is a func, not a instance
(component
  (import "i" (instance $i (export "f" (func))))
  (alias export $i "f" (instance)))
