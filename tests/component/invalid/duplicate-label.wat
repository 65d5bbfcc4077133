;; invalid: label "A" conflicts with another
(component
  (type (record (field "a" u32) (field "A" u32))))
