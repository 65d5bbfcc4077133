;; unsupported: the stream type is not supported yet
(component (type (stream u8)))
