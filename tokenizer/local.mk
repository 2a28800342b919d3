# tokenizer/ contributes here: see core/local.mk for the shape.
