"""Paper A's heterogeneous GraphSAGE (HGSAGE) and its semi-supervised GRL/SRL training."""
