;; invalid: is not a resource type
(component
  (type $r (record (field "a" u32)))
  (type (own $r)))
