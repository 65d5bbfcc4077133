;; unsupported: the async function type is not supported yet
(component (type (func async)))
