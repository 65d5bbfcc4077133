;; invalid: missing export "run"
(component
  (import "host" (func $h))
  (component $Inner
    (import "in" (instance $i (export "run" (func))))
    (export "out" (instance $i) (instance)))
  (instance $inner (instantiate $Inner (with "in" (instance (export "run" (func $h))))))
  (component $User
    (import "dep" (instance (export "run" (func)))))
  (instance (instantiate $User (with "dep" (instance $inner "out")))))
