module github.com/vigil-sec/vigil

go 1.26.8
