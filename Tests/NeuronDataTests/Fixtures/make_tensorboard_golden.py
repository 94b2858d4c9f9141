"""Golden TensorBoard records written by TensorBoard's own writer, for NeuronData's encoder.

    .venv/bin/python Tests/NeuronDataTests/Fixtures/make_tensorboard_golden.py

Writes `tensorboard_golden.bin`: the framed records (TFRecord: length, masked CRC-32C,
payload, masked CRC-32C) of three events, in order:
  1. wall_time 1.5, step 0, file_version "brain.Event:2"
  2. wall_time 2.25, step 3, summary { value { tag "loss/train" simple_value 0.25 } }
  3. wall_time 3.0, step 7, summary { value { tag "img" image { height 2 width 3 colorspace 1
     encoded_image_string b"\x89PNGfake" } } }
"""

import os

from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.record_writer import RecordWriter

here = os.path.dirname(os.path.abspath(__file__))
events = [
    event_pb2.Event(wall_time=1.5, step=0, file_version="brain.Event:2"),
    event_pb2.Event(wall_time=2.25, step=3, summary=summary_pb2.Summary(
        value=[summary_pb2.Summary.Value(tag="loss/train", simple_value=0.25)])),
    event_pb2.Event(wall_time=3.0, step=7, summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(
        tag="img", image=summary_pb2.Summary.Image(height=2, width=3, colorspace=1,
                                                   encoded_image_string=b"\x89PNGfake"))])),
]
with open(os.path.join(here, "tensorboard_golden.bin"), "wb") as f:
    writer = RecordWriter(f)
    for event in events:
        writer.write(event.SerializeToString())
    writer.flush()
print("wrote", os.path.join(here, "tensorboard_golden.bin"))
