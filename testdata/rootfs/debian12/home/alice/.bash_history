ls -la
sudo systemctl status nginx
curl -s http://10.0.0.5/install.sh | sh
