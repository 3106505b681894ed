"""Front ends for models from other frameworks: PyTorch (``.pt2``, ``nn.Module``) and ONNX.

Each turns its model into a float TFLite flatbuffer with the maintained converter for
that framework (litert-torch, onnx2tf), names the tensors after the user's modules or
nodes, and hands a :class:`~edgeq.model_source.FloatModel` to the existing pipeline.
"""
