import Neuron
import NeuronData

extension CharLSTM {
    /// `prompt` followed by `length` characters drawn one at a time from the model's softmax
    /// at `temperature` (0: always the most likely character), encoded with `corpus`'s
    /// vocabulary. Runs without recording, from a fresh state.
    public func sample(
        prompt: String, length: Int, temperature: Double, corpus: TextCorpus,
        generator: RandomGenerator = Random.generator
    ) -> String {
        precondition(temperature >= 0 && length >= 0, "CharLSTM.sample: temperature \(temperature) and length \(length) must be ≥ 0")
        return noGrad {
            var context = corpus.encode(prompt)
            if context.isEmpty { context = [corpus.encode("\n").first ?? 0] }
            var generated: [Int] = []
            let device = self.device
            var (logits, state) = step(Tensor(context, shape: [1, context.count], device: device), state: nil)
            for _ in 0..<length {
                let next: Int
                if temperature == 0 {
                    next = Int(logits.argmax(axis: 1).item())
                } else {
                    let probabilities = (logits / temperature).softmax(axis: 1).toArray(Double.self)
                    var draw = generator.nextUnit(), chosen = probabilities.count - 1
                    for (index, p) in probabilities.enumerated() {
                        draw -= p
                        if draw < 0 {
                            chosen = index
                            break
                        }
                    }
                    next = chosen
                }
                generated.append(next)
                (logits, state) = step(Tensor([next], shape: [1, 1], device: device), state: state)
            }
            return corpus.decode(context) + corpus.decode(generated)
        }
    }
}
