import Neuron

print(Tensor([1, 2, 3] as [Float]))
