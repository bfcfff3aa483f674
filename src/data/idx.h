// Data sets for training and for verification over many samples: IDX files (gzip or plain),
// FashionMNIST from the Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist).
// Inputs are scaled to [0,1]. The public header of data/.
#pragma once
#include <Eigen/Dense>
#include <string>
#include <vector>

namespace data {

struct Dataset {
  Eigen::MatrixXd x;        // n_samples x n_features, row-major order of each image, in [0,1]
  std::vector<int> y;       // labels
  int num_classes = 10;
  std::string name;
};

// An IDX image file and its label file (".gz" read through zlib or gzip -dc). Throws
// util::InputError(path, place, problem) on unreadable or inconsistent files.
Dataset read_idx(const std::string& images_path, const std::string& labels_path);
// The labels in [0, num_classes) that no sample carries (a stray label in a custom label file
// widens the output layer to it; cmd_train warns with these).
std::vector<int> absent_labels(const Dataset& ds);
// "fashion-mnist" (split "train" or "test") from the Debian package, or "IMAGES.idx,LABELS.idx".
Dataset load_dataset(const std::string& name, const std::string& split);

}  // namespace data
