// js-pytorch (pure JavaScript, nested-array tensors; its `gl` module is only for its GPU path).
import { SHAPES } from "../lib/harness.mjs";
import { importPeer } from "./peers.mjs";

export async function load() {
  const { torch } = await importPeer("js-pytorch");
  const { nn, optim } = torch;
  const zeroGrads = (ts) => ts.forEach((t) => t.zero_grad?.());
  function matmul(n) {
    const a = torch.randn([n, n], true);
    const b = torch.randn([n, n], true);
    return () => {
      zeroGrads([a, b]);
      torch.matmul(a, b).backward(); // backward seeds ones, as the others do
    };
  }
  return {
    info: "js-pytorch (CPU), MLP trained with Adam (no SGD)",
    unsupported: {
      elementwise: "no tanh",
      cnn: "no convolution or pooling",
    },
    workloads: {
      tiny: () => {
        const x = torch.tensor([1, 2, 3, 4], true);
        return () => {
          x.zero_grad();
          x.mul(2).add(1).pow(2).mean().backward();
        };
      },
      poly: () => {
        const x = torch.tensor([1], true);
        return () => {
          x.zero_grad();
          x.pow(4).add(x.pow(3).mul(3)).add(x.pow(2).mul(3)).add(x.mul(5)).add(1).backward();
        };
      },
      mlp: () => {
        const { batch, inp, hidden, out } = SHAPES.mlp;
        const l1 = new nn.Linear(inp, hidden);
        const relu = new nn.ReLU();
        const l2 = new nn.Linear(hidden, out);
        const params = [...l1.parameters(), ...l2.parameters()];
        const opt = new optim.Adam(params, 0.01, 0);
        const lossFn = new nn.CrossEntropyLoss();
        const x = torch.randn([batch, inp]);
        const y = torch.randint(0, out, [batch]);
        return () => {
          opt.zero_grad();
          lossFn.forward(l2.forward(relu.forward(l1.forward(x))), y).backward();
          opt.step();
        };
      },
      matmul256: () => matmul(256),
      matmul512: () => matmul(512),
      matmul1024: () => matmul(1024),
    },
  };
}
