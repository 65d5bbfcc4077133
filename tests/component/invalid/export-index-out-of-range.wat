;; invalid: func index 5 out of range
(component (export "f" (func 5)))
