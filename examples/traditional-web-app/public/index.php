<?php
header('Content-Type: text/plain');
echo "Acme Shop\n";
