-- Down: the registered images and their sequence (the photo library is gone).
DROP TABLE images;
DROP SEQUENCE images_vec_key;
