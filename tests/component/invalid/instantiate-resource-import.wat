;; unsupported: instantiating a component that imports resource types is not supported yet
(component
  (type $r (resource (rep i32)))
  (component $c
    (import "r" (type (sub resource))))
  (instance (instantiate $c (with "r" (type $r)))))
